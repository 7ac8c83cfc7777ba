"""The built-in dashboard: server-rendered HTML, inline SVG, a little vanilla JS, no CDN."""
