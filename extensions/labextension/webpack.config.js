// Extra build steps, merged by jupyter-builder into its own configuration.
//
// Aladin Lite's ES module (npm `aladin-lite`, self-contained: its WebAssembly
// core is inlined) is copied unmodified, with its licence files, to
// `static/aladin-lite/`. The lab serves it at
// `<base_url>lab/extensions/esap-hub/static/aladin-lite/aladin.js`, where the
// notebook sky view (`esap.data.sky_view`, an ipyaladin widget) imports it
// instead of ipyaladin's CDN, so a hub with no way out still shows it. The
// copy is the same version the Data panel's sky view bundles.
const path = require('path');
const { CopyRspackPlugin } = require('@rspack/core');

// the package's `exports` hide its files from require.resolve: read its folder
const aladinLite = path.join(__dirname, 'node_modules', 'aladin-lite');

module.exports = {
  plugins: [
    new CopyRspackPlugin({
      patterns: ['dist/aladin.js', 'LICENSE', 'COPYING', 'COPYING.LESSER'].map(
        name => ({
          from: path.join(aladinLite, name),
          to: `aladin-lite/${name.split('/').pop()}`,
          toType: 'file',
          // shipped as published (the licence's terms; one file a site can replace)
          info: { minimized: true }
        })
      )
    })
  ]
};
