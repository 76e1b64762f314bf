// Package exposition writes metric families in Prometheus' text format
// (version 0.0.4) straight to the response, for series too many to build
// as client_golang's in-memory tree at every scrape, and serves them beside
// a registry's own families.
package exposition

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"
)

// Writer writes families and their samples. A family's samples must follow
// its Family call before the next family starts, as the format requires.
// The first write error is kept, later writes do nothing, and Flush
// returns it.
type Writer struct {
	w   *bufio.Writer
	buf []byte
	err error
}

// NewWriter buffers its writes to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 32<<10)}
}

// Family starts a family: its HELP and TYPE lines. typ is "gauge" or
// "counter" (the kinds written here).
func (w *Writer) Family(name, help, typ string) {
	b := append(w.buf[:0], "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = appendEscaped(b, help, false)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	b = append(b, '\n')
	w.write(b)
}

// Sample writes one sample of the current family. labels alternate names
// and values: "namespace", "ns", "dockerhost", "h", ...
func (w *Writer) Sample(name string, labels []string, value float64) {
	b := append(w.buf[:0], name...)
	if len(labels) > 0 {
		b = append(b, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, labels[i]...)
			b = append(b, `="`...)
			b = appendEscaped(b, labels[i+1], true)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendFloat(b, value)
	b = append(b, '\n')
	w.write(b)
}

// Flush writes what is buffered and returns the first error.
func (w *Writer) Flush() error {
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

func (w *Writer) write(b []byte) {
	w.buf = b
	if w.err == nil {
		_, w.err = w.w.Write(b)
	}
}

// appendEscaped escapes a backslash and a newline, and in a label value
// (quoted) also a double quote, as the text format requires.
func appendEscaped(b []byte, s string, quoted bool) []byte {
	if !strings.ContainsAny(s, "\\\n\"") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quoted:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat spells a value as Prometheus reads it.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
