import { LabIcon } from '@jupyterlab/ui-components';

import esapSvgstr from '../style/icons/esap.svg';

/**
 * The ESAP icon: a ringed planet and a star, drawn with JupyterLab's icon
 * classes so it follows the theme.
 */
export const esapIcon = new LabIcon({
  name: 'esap-hub:esap',
  svgstr: esapSvgstr
});
