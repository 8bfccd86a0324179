import { LabIcon } from '@jupyterlab/ui-components';

import dataSvgstr from '../../style/icons/data.svg';

/**
 * The Data panel icon: an archive (a stack of disks) with a magnifier,
 * drawn with JupyterLab's icon classes so it follows the theme.
 */
export const dataIcon = new LabIcon({
  name: 'esap-hub:data',
  svgstr: dataSvgstr
});
