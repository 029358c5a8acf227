// The traces the dashboard draws (app/dashboard/lazy.py BUNDLE_TRACES lists the same).
'use strict';
var Plotly = require('plotly.js/lib/core');
Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/box'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/histogram'),
    require('plotly.js/lib/table'),
    require('plotly.js/lib/treemap'),
]);
module.exports = Plotly;
