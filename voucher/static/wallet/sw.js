/* 我的培训券 offline helper: network first; when the network fails, the last copy kept here.
   Kept: wallet pages that answered 200 without a redirect (never the sign-in pages), and the
   stylesheets and scripts they use. Signing out deletes the copies (wallet.js). */
"use strict";
var CACHE = "wallet-v1";
var SCOPE = new URL("./", self.location.href).pathname; // "/wallet/"
var NEVER = /\/(login|verify|logout|sw\.js)$/;

function keepable(url) {
  if (url.origin !== self.location.origin) return false;
  if (url.pathname.indexOf("/static/") === 0) return true;
  return url.pathname.indexOf(SCOPE) === 0 && !NEVER.test(url.pathname);
}

function store(request, response) {
  if (!response || !response.ok || response.redirected || response.type !== "basic") return;
  var copy = response.clone();
  caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
}

function offlinePage() {
  var html = "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\">" +
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
    "<title>网络不可用</title><body><h1>网络不可用</h1>" +
    "<p>这个页面还没有保存到本机。请联网后打开一次培训券，之后断网也能出示。</p></body></html>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("wallet-") === 0 && key !== CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.keep) || [];
  urls.forEach(function (href) {
    var url = new URL(href, self.location.href);
    if (!keepable(url)) return;
    var request = new Request(url.href, { credentials: "same-origin" });
    fetch(request).then(function (response) { store(request, response); }).catch(function () {});
  });
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!keepable(url)) return;
  event.respondWith(
    fetch(request).then(function (response) {
      store(request, response);
      return response;
    }).catch(function () {
      return caches.match(request, { ignoreVary: true, ignoreSearch: false }).then(function (hit) {
        if (hit) return hit;
        return request.mode === "navigate" ? offlinePage() : Response.error();
      });
    })
  );
});
