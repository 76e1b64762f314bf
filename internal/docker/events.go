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

// endsByItself reports whether an /events query makes the daemon end its
// answer instead of streaming forever: it names a numeric `until`, or it is
// Podman's `since` with `stream=false` (see eventsQuery).
func endsByItself(rawQuery string) bool {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return false
	}
	if q.Get("stream") == "false" && q.Get("since") != "" {
		return true
	}
	until := q.Get("until")
	_, err = strconv.ParseFloat(until, 64)
	return until != "" && err == nil
}

// eventsQuery is the /events query for the window [since, until] on
// engine. Docker gets since, until and eventsFilter. Podman 4.3.1 gets no
// until, because it stops reading its event log when the wall clock
// reaches until: a window already past comes back empty or cut after a
// few events. It gets stream=false instead, which ends the answer at the
// end of the log (Read drops what is past until), and podmanEventsFilter.
func eventsQuery(engine string, since, until time.Time) url.Values {
	q := url.Values{}
	q.Set("since", unixNanoParam(since))
	if engine == EnginePodman {
		q.Set("stream", "false")
		q.Set("filters", podmanEventsFilter)
		return q
	}
	q.Set("until", unixNanoParam(until))
	q.Set("filters", eventsFilter)
	return q
}

// podmanEventsFilter is eventsFilter in Podman's own action names, which
// its filter matches although it sends Docker's: "died" (sent as "die")
// and "remove" (Docker's "destroy"). Asked for "die", Podman 4.3.1 drops
// every death.
const podmanEventsFilter = `{"event":["create","start","kill","died","oom","remove","health_status"],"type":["container"]}`

// podmanRemove is the action Podman sends where Docker sends "destroy".
const podmanRemove = "remove"

// asDockerActions renames Podman's remove to Docker's destroy, so that a
// removed container's marks end as they do on Docker.
func asDockerActions(engine string, res *eventlog.Result) {
	if engine != EnginePodman {
		return
	}
	for i := range res.Events {
		if res.Events[i].Action == podmanRemove {
			res.Events[i].Action = eventlog.ActionDestroy
		}
	}
}

// knownEngine is the engine of the last snapshot's daemon description,
// "" before the first.
func (c *Client) knownEngine() string {
	c.described.mu.Lock()
	defer c.described.mu.Unlock()
	return c.described.info.Engine
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
	engine := c.knownEngine()
	err = c.call(ctx, "read container events", func(ctx context.Context) error {
		resp, err := c.getEvents(ctx, version, eventsQuery(engine, since, until))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxEventsErrorBytes))
			return fmt.Errorf("daemon answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
		}
		res = eventlog.Read(resp.Body, until, lim)
		asDockerActions(engine, &res)
		return nil
	})
	return res, err
}

// getEvents sends GET /events through the read-only transport.
func (c *Client) getEvents(ctx context.Context, version string, q url.Values) (*http.Response, error) {
	u := url.URL{Scheme: "http", Host: "docker", Path: "/v" + version + "/events", RawQuery: q.Encode()}
	if c.endpoint.network == "tcp" {
		u.Host = c.endpoint.address
	}
	if c.useTLS {
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
