// Builds app/dashboard/vendor/plotly-aftershock.min.js: `npm ci && node build.js` (see README.md here).
const path = require('path');
const esbuild = require('esbuild');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
const { environmentPlugin } = require('esbuild-plugin-environment');
const version = require('plotly.js/package.json').version;

esbuild
    .build({
        entryPoints: [path.join(__dirname, 'entry.js')],
        outfile: path.join(__dirname, '..', '..', 'app', 'dashboard', 'vendor', 'plotly-aftershock.min.js'),
        // the options of plotly.js's own esbuild-config.js, minified
        format: 'iife',
        globalName: 'Plotly',
        bundle: true,
        minify: true,
        legalComments: 'none',
        banner: { js: `/* plotly.js ${version} (MIT, https://github.com/plotly/plotly.js): core, scatter, bar, box, heatmap, histogram, table, treemap */` },
        plugins: [InlineCSSPlugin(), environmentPlugin({ NODE_DEBUG: false })],
        alias: { stream: 'stream-browserify' },
        define: { global: 'window', 'define.amd': 'false' },
        target: 'es2016',
    })
    .catch(() => process.exit(1));
