package docker

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestClassifyTellsTLSFailuresFromUnreachableDaemons proves every TLS
// failure case is FailureTLS with the fix a user needs, so callers can give
// certificate problems a reason of their own.
func TestClassifyTellsTLSFailuresFromUnreachableDaemons(t *testing.T) {
	wantFix := map[string]Fix{
		"daemon certificate from an unknown CA":                  FixCA,
		"https without CA uses system roots":                     FixCA,
		"server name mismatch":                                   FixServerName,
		"no client certificate":                                  FixClientCert,
		"client certificate expired":                             FixClientCert,
		"client certificate from a CA the daemon does not trust": FixClientCert,
		"plaintext client to a TLS daemon":                       FixUseTLS,
		"TLS client to a plaintext daemon":                       FixNoTLS,
	}
	for _, tt := range handshakeFailureCases(t, newTLSWorld(t)) {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, Config{Endpoint: tt.endpoint, TLS: tt.material, Timeout: 5 * time.Second})
			_, err := c.Ping(context.Background())
			if got := Classify(err); got != FailureTLS {
				t.Errorf("Classify = %q, want %q (%v)", got, FailureTLS, err)
			}
			if want, ok := wantFix[tt.name]; ok && SuggestedFix(err) != want {
				t.Errorf("SuggestedFix = %q, want %q (%v)", SuggestedFix(err), want, err)
			}
		})
	}
}

func TestClassifyRecognisesVersionRefusals(t *testing.T) {
	tests := []struct {
		err  error
		want Failure
	}{
		{errors.New("Error response from daemon: client version 1.99 is too new. Maximum supported API version is 1.41"), FailureAPIVersion},
		{ErrAPITooOld, FailureAPIVersion},
		{context.DeadlineExceeded, FailureOther},
		{nil, FailureOther},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
