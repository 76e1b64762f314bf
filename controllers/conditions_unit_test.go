package controllers

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// Unit tests for the condition writers (status.go): markPolled,
// markUnreachable, markConfigError, markSuspended and markInsecure.

// unitHost is a DockerHost at generation gen whose status last handled gen-1.
func unitHost(gen int64) *dockwatchv1.DockerHost {
	return &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "host", Generation: gen},
		Spec:       dockwatchv1.DockerHostSpec{Endpoint: "tcp://10.0.0.5:2376"},
		Status:     dockwatchv1.DockerHostStatus{ObservedGeneration: gen - 1},
	}
}

// polledHost is a host as the summarise and evaluate steps leave it.
func polledHost(gen int64, firing int32) *dockwatchv1.DockerHost {
	host := unitHost(gen)
	host.Status.Daemon = &dockwatchv1.DaemonInfo{Version: "27.1.1"}
	host.Status.Summary = &dockwatchv1.HostSummary{ContainersWatched: 3, ContainersRunning: 4, AlertsFiring: firing}
	return host
}

type wantCondition struct {
	status  metav1.ConditionStatus
	reason  string
	message string // substring; "" skips the check
}

func TestConditionWritersSetTypesStatusesAndReasons(t *testing.T) {
	configErr := &configError{reason: dockwatchv1.ReasonTLSConfigError, err: errors.New("Secret ns/certs has cert.pem but no client key")}
	specErr := &configError{reason: dockwatchv1.ReasonInvalidSpec, err: errors.New("spec.containers: bad pattern")}
	tests := []struct {
		name           string
		host           *dockwatchv1.DockerHost
		mark           func(*dockwatchv1.DockerHost)
		want           map[string]wantCondition
		wantObservedGe int64 // status.observedGeneration afterwards
	}{{
		name: "a poll without firing alerts is Ready, Reachable and within thresholds",
		host: polledHost(7, 0),
		mark: func(h *dockwatchv1.DockerHost) { markPolled(h, "") },
		want: map[string]wantCondition{
			dockwatchv1.ConditionReachable:          {metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, "Docker 27.1.1 answered at tcp://10.0.0.5:2376"},
			dockwatchv1.ConditionThresholdsBreached: {metav1.ConditionFalse, dockwatchv1.ReasonWithinThresholds, ""},
			dockwatchv1.ConditionReady:              {metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, "Watching 3 containers; 4 running on the daemon"},
		},
		wantObservedGe: 7,
	}, {
		name: "a poll with firing alerts breaches thresholds and stays Ready",
		host: polledHost(7, 2),
		mark: func(h *dockwatchv1.DockerHost) { markPolled(h, "") },
		want: map[string]wantCondition{
			dockwatchv1.ConditionThresholdsBreached: {metav1.ConditionTrue, dockwatchv1.ReasonAlertsFiring, "2 alert(s) firing"},
			dockwatchv1.ConditionReady:              {metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, ""},
		},
		wantObservedGe: 7,
	}, {
		name: "an unreachable daemon is not Ready and the generation is not yet handled",
		host: unitHost(7),
		mark: func(h *dockwatchv1.DockerHost) {
			markUnreachable(h, errors.New("dial tcp 10.0.0.5:2376: connection refused"))
		},
		want: map[string]wantCondition{
			dockwatchv1.ConditionReachable: {metav1.ConditionFalse, dockwatchv1.ReasonDaemonUnreachable, "connection refused"},
			dockwatchv1.ConditionReady:     {metav1.ConditionFalse, dockwatchv1.ReasonDaemonUnreachable, "connection refused"},
		},
		wantObservedGe: 6,
	}, {
		name: "a TLS config error is not Ready and reachability is unknown",
		host: unitHost(7),
		mark: func(h *dockwatchv1.DockerHost) { markConfigError(h, configErr) },
		want: map[string]wantCondition{
			dockwatchv1.ConditionReady:     {metav1.ConditionFalse, dockwatchv1.ReasonTLSConfigError, "no client key"},
			dockwatchv1.ConditionReachable: {metav1.ConditionUnknown, dockwatchv1.ReasonTLSConfigError, "Not polled: "},
		},
		wantObservedGe: 7,
	}, {
		name: "an invalid spec is reported with its own reason",
		host: unitHost(7),
		mark: func(h *dockwatchv1.DockerHost) { markConfigError(h, specErr) },
		want: map[string]wantCondition{
			dockwatchv1.ConditionReady:     {metav1.ConditionFalse, dockwatchv1.ReasonInvalidSpec, "spec.containers"},
			dockwatchv1.ConditionReachable: {metav1.ConditionUnknown, dockwatchv1.ReasonInvalidSpec, ""},
		},
		wantObservedGe: 7,
	}, {
		name: "a suspended host is not Ready and its generation is handled",
		host: unitHost(7),
		mark: markSuspended,
		want: map[string]wantCondition{
			dockwatchv1.ConditionReady: {metav1.ConditionFalse, dockwatchv1.ReasonSuspended, "spec.suspend"},
		},
		wantObservedGe: 7,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.mark(tt.host)
			assertConditions(t, tt.host, tt.want)
			if tt.host.Status.ObservedGeneration != tt.wantObservedGe {
				t.Errorf("status.observedGeneration = %d, want %d", tt.host.Status.ObservedGeneration, tt.wantObservedGe)
			}
		})
	}
}

func TestMarkInsecureFollowsTheSpecsOptOuts(t *testing.T) {
	tests := []struct {
		name       string
		tls        *dockwatchv1.TLSConfig
		plaintext  bool
		wantReason string // "" means Insecure=False with reason Secure
		endpoint   string // "" keeps unitHost's tcp:// endpoint
		wantSecure string // Secure's message, in the spec's words (the host may never have been reached)
	}{
		{"insecureSkipVerify is reported", &dockwatchv1.TLSConfig{InsecureSkipVerify: true}, false, dockwatchv1.ReasonInsecureSkipVerify, "", ""},
		{"plaintext without TLS is reported", nil, true, dockwatchv1.ReasonPlaintext, "", ""},
		{"allowPlaintext beside TLS is not insecure", &dockwatchv1.TLSConfig{}, true, "", "", "spec.tls verifies the daemon's certificate against the system roots"},
		{"verified TLS is not insecure", &dockwatchv1.TLSConfig{SecretRef: &dockwatchv1.SecretReference{Name: "certs"}}, false, "", "",
			"spec.tls verifies the daemon's certificate against the CA in spec.tls.secretRef"},
		{"a local socket is not insecure", nil, false, "", "unix:///var/run/docker.sock", "spec.endpoint is a local unix socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := unitHost(4)
			// A previous generation was insecure: the condition must follow the spec.
			setCondition(host, dockwatchv1.ConditionInsecure, metav1.ConditionTrue, dockwatchv1.ReasonPlaintext, "old")
			host.Generation = 5
			host.Spec.TLS, host.Spec.AllowPlaintext = tt.tls, tt.plaintext
			if tt.endpoint != "" {
				host.Spec.Endpoint = tt.endpoint
			}
			markInsecure(host)
			if tt.wantReason == "" {
				assertConditions(t, host, map[string]wantCondition{
					dockwatchv1.ConditionInsecure: {metav1.ConditionFalse, dockwatchv1.ReasonSecure, tt.wantSecure},
				})
				return
			}
			assertConditions(t, host, map[string]wantCondition{
				dockwatchv1.ConditionInsecure: {metav1.ConditionTrue, tt.wantReason, "spec."},
			})
		})
	}
}

func TestConditionMessagesAreBoundedTo1024Bytes(t *testing.T) {
	host := unitHost(2)
	markUnreachable(host, errors.New(strings.Repeat("x", 5000)))
	for _, c := range host.Status.Conditions {
		if len(c.Message) > 1024 || !strings.HasSuffix(c.Message, "...") {
			t.Errorf("%s message is %d bytes, want at most 1024 ending in ...", c.Type, len(c.Message))
		}
	}
}

// assertConditions checks want and that every condition carries the host's
// generation.
func assertConditions(t *testing.T, host *dockwatchv1.DockerHost, want map[string]wantCondition) {
	t.Helper()
	for condType, w := range want {
		c := meta.FindStatusCondition(host.Status.Conditions, condType)
		if c == nil {
			t.Errorf("no %s condition in %+v", condType, host.Status.Conditions)
			continue
		}
		if c.Status != w.status || c.Reason != w.reason || !strings.Contains(c.Message, w.message) {
			t.Errorf("%s = %s/%s %q; want %s/%s containing %q", condType, c.Status, c.Reason, c.Message, w.status, w.reason, w.message)
		}
	}
	for _, c := range host.Status.Conditions {
		if c.ObservedGeneration != host.Generation {
			t.Errorf("%s has observedGeneration %d, want %d", c.Type, c.ObservedGeneration, host.Generation)
		}
	}
}
