package exposition

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Stream writes families of its own to a scrape, after the registry's.
// Its family names must not also be registered in the registry.
type Stream func(*Writer)

// Handler serves the families of g and then those of each stream, in the
// text format, gzipped when the scraper accepts it. The registry's
// families are few and small; the streams are written as they are read,
// so a scrape of many series holds a buffer, not a tree of them.
func Handler(g prometheus.Gatherer, streams ...Stream) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		families, err := g.Gather()
		if err != nil {
			http.Error(rw, "gather metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		format := expfmt.NewFormat(expfmt.TypeTextPlain)
		rw.Header().Set("Content-Type", string(format))
		var body io.Writer = rw
		if strings.Contains(req.Header.Get("Accept-Encoding"), "gzip") {
			rw.Header().Set("Content-Encoding", "gzip")
			zipped := gzip.NewWriter(rw)
			defer func() { _ = zipped.Close() }()
			body = zipped
		}
		w := NewWriter(body)
		enc := expfmt.NewEncoder(w.w, format)
		for _, f := range families {
			if err := enc.Encode(f); err != nil {
				return // the scraper went away, or a family is broken
			}
		}
		for _, s := range streams {
			s(w)
		}
		_ = w.Flush()
	})
}
