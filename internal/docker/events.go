package docker

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dockwatch/dockwatch/internal/eventlog"
)

// maxEventsErrorBytes bounds the body of a refused /events request, which
// is read only to quote the daemon's message.
const maxEventsErrorBytes = 4 << 10

// eventsFilter asks the daemon for the container events the lifecycle
// alerts read. Without the event list a health-checked container logs
// three exec_* events per probe, which would crowd the per-poll bounds;
// the daemon matches "health_status" against "health_status: unhealthy".
const eventsFilter = `{"event":["create","start","kill","die","oom","destroy","health_status"],"type":["container"]}`

// hasUntil reports whether an /events query names a numeric `until`, so
// that the daemon ends the answer by itself instead of streaming forever.
func hasUntil(rawQuery string) bool {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return false
	}
	until := q.Get("until")
	_, err = strconv.ParseFloat(until, 64)
	return until != "" && err == nil
}

// unixNanoParam formats t as the "seconds.nanoseconds" form the Engine
// accepts for since and until.
func unixNanoParam(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

// ContainerEvents reads the daemon's container events logged in
// [since, until], bounded by lim and by the Client's per-call timeout. A
// daemon that ignores until, a body past the bounds, or a deadline in the
// middle of the answer end the read early: that is reported in the
// Result's Cut (with Last the point to resume from), not as an error. The
// error is for a request that failed outright.
func (c *Client) ContainerEvents(ctx context.Context, since, until time.Time, lim eventlog.Limits) (eventlog.Result, error) {
	version, err := c.settledAPIVersion(ctx)
	if err != nil {
		return eventlog.Result{}, err
	}
	var res eventlog.Result
	err = c.call(ctx, "read container events", func(ctx context.Context) error {
		resp, err := c.getEvents(ctx, version, since, until)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxEventsErrorBytes))
			return fmt.Errorf("daemon answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
		}
		res = eventlog.Read(resp.Body, until, lim)
		return nil
	})
	return res, err
}

// getEvents sends GET /events through the read-only transport.
func (c *Client) getEvents(ctx context.Context, version string, since, until time.Time) (*http.Response, error) {
	q := url.Values{}
	q.Set("since", unixNanoParam(since))
	q.Set("until", unixNanoParam(until))
	q.Set("filters", eventsFilter)
	u := url.URL{Scheme: "http", Host: "docker", Path: "/v" + version + "/events", RawQuery: q.Encode()}
	if c.endpoint.network == "tcp" {
		u.Host = c.endpoint.address
	}
	if c.base.TLSClientConfig != nil {
		u.Scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build events request: %w", err)
	}
	req.Header.Set("User-Agent", "dockwatch")
	return (&http.Client{Transport: c.guard}).Do(req)
}

// settledAPIVersion is the API version settled by the first ping,
// pinging now if none has been yet.
func (c *Client) settledAPIVersion(ctx context.Context) (string, error) {
	c.negotiateMu.Lock()
	v := c.apiVersion
	c.negotiateMu.Unlock()
	if v != "" {
		return v, nil
	}
	return c.negotiate(ctx)
}
