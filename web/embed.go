// Package web embeds the built console (web/dist, made by `make web`) and serves it, with the
// single-page-app fallback to index.html. A Go build without the web build still compiles: dist
// always holds its README, and the server then shows how to build the console.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Built reports whether the console was built into this binary.
func Built() bool {
	_, err := fs.Stat(dist, "dist/app/index.html")
	return err == nil
}

const notBuilt = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>Siyu 私域</title>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto;line-height:1.6">
<h1>控制台尚未构建 · The console is not built</h1>
<p>这个 siyu 程序编译时没有包含前端。在仓库根目录运行 <code>make web</code>（需要 Node.js 和 npm），然后重新编译；或直接运行 <code>make run</code>。</p>
<p>This siyu binary was compiled without the web console. Run <code>make web</code> in the repository (needs Node.js and npm) and rebuild, or simply run <code>make run</code>.</p>
<p>The API works without the console: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
</body></html>`

// Handler serves the console: files from dist/app, index.html for client-side routes, and a
// build hint when the console is missing.
func Handler() http.Handler {
	app, err := fs.Sub(dist, "dist/app")
	if err != nil || !Built() {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(notBuilt))
		})
	}
	files := http.FileServerFS(app)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name != "" {
			if st, err := fs.Stat(app, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					// Vite fingerprints assets, so they can be cached for good.
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		// Client-side route: hand the app its shell and let vue-router decide.
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, app, "index.html")
	})
}
