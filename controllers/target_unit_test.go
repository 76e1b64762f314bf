package controllers

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// Unit tests for the resolve-TLS and selection steps (target.go).

// fakePEM is a recognisable PEM block: the body decodes to marker, so a
// leak of the Secret value into a message is easy to spot.
func fakePEM(blockType, marker string) []byte {
	return []byte("-----BEGIN " + blockType + "-----\n" +
		base64.StdEncoding.EncodeToString([]byte(marker)) + "\n-----END " + blockType + "-----\n")
}

var (
	caPEM   = fakePEM("CERTIFICATE", "FAKE-CA-SECRET-0001")
	certPEM = fakePEM("CERTIFICATE", "FAKE-CLIENT-CERT-0002")
	keyPEM  = fakePEM("EC PRIVATE KEY", "FAKE-PRIVATE-KEY-0003")
	notPEM  = []byte("this-is-not-pem FAKE-RAW-KEY-0004 0123456789")
)

func TestMaterialFromSecretAcceptsBothLayoutsAndNamesWhatIsWrong(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string][]byte
		wantErr []string // substrings of the error; nil means success
		wantCA  bool
		wantKey bool
		skip    bool // spec.tls.skipClientCertificate
	}{
		{name: "docker-machine keys", data: map[string][]byte{"ca.pem": caPEM, "cert.pem": certPEM, "key.pem": keyPEM}, wantCA: true, wantKey: true},
		{name: "kubernetes.io/tls keys", data: map[string][]byte{"ca.crt": caPEM, "tls.crt": certPEM, "tls.key": keyPEM}, wantCA: true, wantKey: true},
		{name: "tls keys without a CA use the system roots", data: map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM}, wantKey: true},
		{name: "CA only, with skipClientCertificate, verifies the daemon without a client certificate", data: map[string][]byte{"ca.pem": caPEM}, wantCA: true, skip: true},
		{name: "CA only is refused without skipClientCertificate, saying why",
			data:    map[string][]byte{"ca.pem": caPEM},
			wantErr: []string{"Secret ns/certs has keys ca.pem, but dockwatch reads", "a client certificate and key are required", "spec.tls.skipClientCertificate"}},
		{name: "wrong key names list the keys present and the keys expected",
			data:    map[string][]byte{"ca.crt": caPEM, "client.pem": certPEM, "client-key.pem": keyPEM},
			wantErr: []string{"Secret ns/certs has keys ca.crt, client-key.pem, client.pem, but dockwatch reads ca.pem, cert.pem, key.pem (docker-machine) or ca.crt, tls.crt, tls.key (kubernetes.io/tls)"}},
		{name: "cert without key names the cert and the missing keys",
			data:    map[string][]byte{"ca.crt": caPEM, "tls.crt": certPEM},
			wantErr: []string{"ns/certs", "has tls.crt but no client key", "key.pem or tls.key"}},
		{name: "key without cert names the key and the missing keys",
			data:    map[string][]byte{"key.pem": keyPEM},
			wantErr: []string{"ns/certs", "has key.pem but no client certificate", "cert.pem or tls.crt"}},
		{name: "non-PEM key is named",
			data:    map[string][]byte{"tls.crt": certPEM, "tls.key": notPEM},
			wantErr: []string{"ns/certs", "key tls.key does not hold PEM data"}},
		{name: "non-PEM CA is named",
			data:    map[string][]byte{"ca.pem": notPEM, "cert.pem": certPEM, "key.pem": keyPEM},
			wantErr: []string{"key ca.pem does not hold PEM data"}},
		{name: "empty Secret lists both layouts",
			data:    map[string][]byte{"unrelated": notPEM},
			wantErr: []string{"ns/certs has keys unrelated, but dockwatch reads", "ca.pem, cert.pem, key.pem (docker-machine)", "ca.crt, tls.crt, tls.key (kubernetes.io/tls)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "certs"}, Data: tt.data}
			in := &docker.TLSMaterial{ServerName: "docker.example", InsecureSkipVerify: true}
			got, err := materialFromSecret(secret, in, tt.skip)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if (got.CA != nil) != tt.wantCA || (got.Key != nil) != tt.wantKey || (got.Cert != nil) != tt.wantKey {
					t.Errorf("CA, cert, key present = %v, %v, %v", got.CA != nil, got.Cert != nil, got.Key != nil)
				}
				if got.ServerName != "docker.example" || !got.InsecureSkipVerify {
					t.Errorf("spec options lost: %+v", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one containing %q", tt.wantErr)
			}
			var cfgErr *configError
			if !errors.As(err, &cfgErr) || cfgErr.reason != dockwatchv1.ReasonTLSConfigError {
				t.Errorf("error %v is not a TLSConfigError configError", err)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			assertNoSecretBytes(t, err.Error(), tt.data)
		})
	}
}

// assertNoSecretBytes fails if msg holds any 6-byte run of a Secret value.
func assertNoSecretBytes(t *testing.T, msg string, data map[string][]byte) {
	t.Helper()
	for key, value := range data {
		for i := 0; i+6 <= len(value); i++ {
			if strings.Contains(msg, string(value[i:i+6])) {
				t.Errorf("message %q holds bytes %q of Secret key %s", msg, value[i:i+6], key)
				break
			}
		}
	}
}

func TestPemValueReturnsTheFirstPresentKey(t *testing.T) {
	secret := &corev1.Secret{Data: map[string][]byte{"ca.crt": caPEM, "tls.key": notPEM}}
	tests := []struct {
		name          string
		keys          []string
		wantValue     bool
		wantKey       string
		wantErrSubstr string
	}{
		{"absent keys give nothing and no error", []string{"cert.pem", "tls.crt"}, false, "", ""},
		{"a later key is found", caKeys, true, "ca.crt", ""},
		{"non-PEM content is an error naming the key", keyKeys, false, "tls.key", "key tls.key does not hold PEM data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value, key, err := pemValue(secret, tt.keys)
			if (value != nil) != tt.wantValue || key != tt.wantKey {
				t.Errorf("value present %v, key %q; want %v, %q", value != nil, key, tt.wantValue, tt.wantKey)
			}
			if (err != nil) != (tt.wantErrSubstr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErrSubstr)) {
				t.Errorf("error %v, want %q", err, tt.wantErrSubstr)
			}
			if err != nil {
				assertNoSecretBytes(t, err.Error(), secret.Data)
			}
		})
	}
}

func TestSelectionForTranslatesTheSpecSelector(t *testing.T) {
	selector := &metav1.LabelSelector{
		MatchLabels: map[string]string{"com.docker.compose.project": "shop"},
		MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"api", "db"}},
			{Key: "dockwatch.io/ignore", Operator: metav1.LabelSelectorOpDoesNotExist},
		},
	}
	tests := []struct {
		name   string
		sel    dockwatchv1.ContainerSelector
		match  map[string]map[string]string // container name -> labels, expected to match
		reject map[string]map[string]string // expected not to match
	}{{
		name:  "an empty selector watches every container",
		sel:   dockwatchv1.ContainerSelector{},
		match: map[string]map[string]string{"anything": nil, "/with-slash": {"a": "b"}},
	}, {
		name: "matchLabels and matchExpressions are all required",
		sel:  dockwatchv1.ContainerSelector{LabelSelector: selector},
		match: map[string]map[string]string{
			"api": {"com.docker.compose.project": "shop", "tier": "api"},
			"db":  {"com.docker.compose.project": "shop", "tier": "db", "other": "x"},
		},
		reject: map[string]map[string]string{
			"cache":   {"com.docker.compose.project": "shop", "tier": "cache"},
			"ignored": {"com.docker.compose.project": "shop", "tier": "api", "dockwatch.io/ignore": "true"},
			"bare":    nil,
		},
	}, {
		name:   "include and exclude globs are kept, exclude wins",
		sel:    dockwatchv1.ContainerSelector{Include: []string{"web-*"}, Exclude: []string{"web-canary"}},
		match:  map[string]map[string]string{"web-1": nil, "/web-2": nil},
		reject: map[string]map[string]string{"web-canary": nil, "db-1": nil},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selectionFor(tt.sel)
			if err != nil {
				t.Fatalf("selectionFor: %v", err)
			}
			for name, lbls := range tt.match {
				if !got.Matches(name, lbls) {
					t.Errorf("%s %v does not match", name, lbls)
				}
			}
			for name, lbls := range tt.reject {
				if got.Matches(name, lbls) {
					t.Errorf("%s %v matches", name, lbls)
				}
			}
		})
	}
	if got, _ := selectionFor(dockwatchv1.ContainerSelector{IncludeStopped: true}); !got.All {
		t.Error("includeStopped did not select stopped containers")
	}
}

func TestSelectionForRejectsInvalidSelectorsNamingTheField(t *testing.T) {
	tests := []struct {
		name string
		sel  dockwatchv1.ContainerSelector
		want []string
	}{
		{"unknown operator", dockwatchv1.ContainerSelector{LabelSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "Contains", Values: []string{"a"}}}}},
			[]string{"spec.containers.labelSelector", "Contains"}},
		{"In without values", dockwatchv1.ContainerSelector{LabelSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn}}}},
			[]string{"spec.containers.labelSelector"}},
		{"invalid label value", dockwatchv1.ContainerSelector{LabelSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{"app": "has spaces"}}},
			[]string{"spec.containers.labelSelector"}},
		{"malformed include glob", dockwatchv1.ContainerSelector{Include: []string{"web-[0-9"}},
			[]string{"spec.containers", "include", "web-[0-9"}},
		{"empty exclude pattern", dockwatchv1.ContainerSelector{Exclude: []string{"ok", ""}},
			[]string{"spec.containers", "exclude pattern 2 is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := selectionFor(tt.sel)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// A CPU baseline older than three poll intervals is an outage, not a poll
// interval: the engine must be told so for every host's own interval.
func TestClientConfigTakesThreeIntervalsAsTheOldestBaseline(t *testing.T) {
	tests := []struct {
		name     string
		interval *metav1.Duration
		want     time.Duration
	}{
		{"the default interval", nil, 3 * defaultInterval},
		{"a short interval", &metav1.Duration{Duration: 5 * time.Second}, 15 * time.Second},
		{"a long interval", &metav1.Duration{Duration: 10 * time.Minute}, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := unitHost(1)
			host.Spec.Interval = tt.interval
			cfg := clientConfig(host)
			if cfg.MaxBaselineAge != tt.want || cfg.Timeout != pollTimeout(host) || cfg.Endpoint != host.Spec.Endpoint || !cfg.Spread {
				t.Fatalf("config %+v, want MaxBaselineAge %v, Timeout %v, the spec's endpoint, spread", cfg, tt.want, pollTimeout(host))
			}
		})
	}
}
