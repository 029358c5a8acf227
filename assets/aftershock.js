/* Aftershock: keyboard access to the article's highlights, and limits on article input that
 * dcc.Upload and the paste box cannot express.
 *
 * - Enter or Space on a highlighted company or date (role="button") clicks it.
 * - A chosen or dropped file over the limit (data-max-bytes on the upload's wrapper) is reported
 *   through the store named by data-rejected-store; dcc.Upload alone drops it without a word.
 * - The paste box keeps at most data-max-chars characters: an enormous paste still ends in the
 *   inline "too long" message instead of a request the server refuses.
 * - dash-ag-grid's bundle is not part of the page (app/dashboard/lazy.py): until it arrives, a
 *   stand-in AgGrid shows "Loading the grid…" and fetches it, then draws the real grid with the
 *   same props. The bundle is also fetched once the page has been idle for a few seconds.
 * - The ticker picker shows the options the server found for what is typed (company names
 *   match by word prefix, which the picker's own filter would hide): its filter keeps them all.
 */
(function () {
  "use strict";

  var functions = (window.dashMantineFunctions = window.dashMantineFunctions || {});
  functions.serverFiltered = function (input) {
    return input.options;
  };

  var GRID_IDLE_MS = 3000;

  function deferGrid(url) {
    var loading = null;
    function load() {
      if (!loading) {
        loading = new Promise(function (resolve, reject) {
          var script = document.createElement("script");
          script.src = url;
          script.async = true;
          script.onload = function () {
            resolve(window.dash_ag_grid);
          };
          script.onerror = function () {
            loading = null;
            reject(new Error("the grid's script did not load from " + url));
          };
          document.head.appendChild(script);
        });
      }
      return loading;
    }
    function LazyAgGrid(props) {
      var React = window.React;
      var state = React.useState(null);
      var real = state[0];
      var setReal = state[1];
      React.useEffect(function () {
        var mounted = true;
        load().then(function (module) {
          if (mounted) {
            setReal(function () {
              return module.AgGrid;
            });
          }
        });
        return function () {
          mounted = false;
        };
      }, []);
      if (real) {
        return React.createElement(real, props);
      }
      return React.createElement(
        "div",
        { id: props.id, className: "grid-loading " + (props.className || ""), style: props.style },
        "Loading the grid…"
      );
    }
    window.dash_ag_grid = { AgGrid: LazyAgGrid };
    window.addEventListener("load", function () {
      window.setTimeout(load, GRID_IDLE_MS);
    });
  }

  var gridBundle = document.querySelector('meta[name="aftershock-grid-bundle"]');
  if (gridBundle && gridBundle.content && !window.dash_ag_grid) {
    deferGrid(gridBundle.content);
  }

  function reportTooLarge(files, wrapper) {
    var limit = Number(wrapper.dataset.maxBytes);
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > limit) {
        window.dash_clientside.set_props(wrapper.dataset.rejectedStore, {
          data: { name: files[i].name, size: files[i].size, at: Date.now() },
        });
        return;
      }
    }
  }

  function within(target, selector) {
    return target instanceof Element ? target.closest(selector) : null;
  }

  document.addEventListener("keydown", function (event) {
    var mark = within(event.target, "mark[role=button]");
    if (mark && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      mark.click();
    }
  });

  // Capture phase: seen before the upload component handles (and swallows) the event.
  document.addEventListener(
    "change",
    function (event) {
      var wrapper = within(event.target, "[data-max-bytes]");
      if (wrapper && event.target.files) reportTooLarge(event.target.files, wrapper);
    },
    true
  );
  document.addEventListener(
    "drop",
    function (event) {
      var wrapper = within(event.target, "[data-max-bytes]");
      if (wrapper && event.dataTransfer) reportTooLarge(event.dataTransfer.files, wrapper);
    },
    true
  );

  document.addEventListener("focusin", function (event) {
    var box = event.target;
    var limit = within(box, "[data-max-chars]");
    if (limit && box.tagName === "TEXTAREA") box.maxLength = Number(limit.dataset.maxChars);
  });
})();
