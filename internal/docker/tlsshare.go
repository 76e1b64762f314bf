package docker

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"runtime"
	"sync"
	"weak"
)

// parsedTLS is TLS material in the form a handshake uses: the CA pool and
// the client key pair, each nil when the material has none.
type parsedTLS struct {
	pool *x509.CertPool
	pair *tls.Certificate
}

// parsedCache shares parsed material between the clients built from the
// same bytes: a fleet of 1,000 hosts that name one docker-machine Secret
// holds one CA pool and one key pair, not 1,000 (about 9 KiB each), and
// parses them once. Entries are weak: they last as long as some client
// holds them, so the cache is bounded by the clients alive.
var parsedCache = struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]weak.Pointer[parsedTLS]
}{entries: map[[sha256.Size]byte]weak.Pointer[parsedTLS]{}}

// materialKey identifies the bytes that parse into one parsedTLS.
func materialKey(m *TLSMaterial) [sha256.Size]byte {
	h := sha256.New()
	for _, part := range [][]byte{m.CA, m.Cert, m.Key} {
		// Length-prefixed, so that parts cannot run into each other.
		h.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(part))))
		h.Write(part)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key
}

// parsed returns the parsed form of m, shared with other clients of the
// same bytes; parsing errors are not cached (they are cheap and rare).
func (m *TLSMaterial) parsed() (*parsedTLS, error) {
	key := materialKey(m)
	parsedCache.mu.Lock()
	defer parsedCache.mu.Unlock()
	if p := parsedCache.entries[key].Value(); p != nil {
		return p, nil
	}
	p := &parsedTLS{}
	if len(m.CA) > 0 {
		pool, err := caPool(m.CA)
		if err != nil {
			return nil, err
		}
		p.pool = pool
	}
	if len(m.Cert) > 0 || len(m.Key) > 0 {
		pair, err := clientKeyPair(m.Cert, m.Key)
		if err != nil {
			return nil, err
		}
		p.pair = &pair
	}
	wp := weak.Make(p)
	parsedCache.entries[key] = wp
	runtime.AddCleanup(p, func(key [sha256.Size]byte) {
		parsedCache.mu.Lock()
		defer parsedCache.mu.Unlock()
		if parsedCache.entries[key] == wp {
			delete(parsedCache.entries, key)
		}
	}, key)
	return p, nil
}
