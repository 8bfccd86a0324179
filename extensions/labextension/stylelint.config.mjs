// Stylesheet rules of the labextension (`jlpm stylelint:check`). Class
// names follow JupyterLab's pattern (`esap-Block-part`, `esap-mod-state`);
// only JupyterLab's CSS variables are used for colours and sizes, so every
// theme applies.
export default {
  extends: ['stylelint-config-standard'],
  rules: {
    'selector-class-pattern': [
      '^([a-z][A-Za-z\\d]*)(-[A-Za-z\\d]+)*$',
      { message: 'Expected a class like esap-Block-part or esap-mod-state' }
    ],
    'keyframes-name-pattern': '^esap-[a-z]+(-[a-z]+)*$'
  }
};
