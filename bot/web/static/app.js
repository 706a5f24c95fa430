// The web view's only script (the page's Content-Security-Policy allows no inline one).
// On the opening page: hand Telegram's initData to the server (POST /auth), which
// answers with a session cookie and the page asked for. Telegram's own script
// (telegram-web-app.js) provides Telegram.WebApp.initData; without it, the launch
// parameters Telegram puts in the address (#tgWebAppData=…) are read directly.
(function () {
  "use strict";
  var webApp = window.Telegram && window.Telegram.WebApp;
  if (webApp) {
    webApp.ready();
    if (webApp.expand) { webApp.expand(); }
  }
  var form = document.getElementById("signin");
  if (!form) { return; }
  var data = webApp && webApp.initData;
  if (!data) {
    data = new URLSearchParams(window.location.hash.slice(1)).get("tgWebAppData") || "";
  }
  if (data) {
    form.elements.init_data.value = data;
    form.submit();
  } else {
    document.getElementById("outside").hidden = false;
  }
})();
