package lifecycle

import "time"

// Kept is a host's marks as they wait between polls. Most containers never
// exit, restart, or are killed: their mark is an ID, a name, a health
// status, a restart count and when it was last seen, a fifth of a Mark's
// size (which holds eight times for the rare episodes). At 1,000 hosts of
// 50 containers the full marks were the largest live object of the
// manager (about 19 MiB). So Kept holds such marks in their short form and
// only the others whole. Keep and Marks are each other's inverse.
type Kept struct {
	full  []Mark
	plain []plainMark
}

// plainMark is a Mark with nothing but these fields set.
type plainMark struct {
	id, name, health string
	restartCount     int
	seen             time.Time
}

// Keep packs marks for the wait until the next poll. The short forms are
// allocated at once, at the first, for all marks from there (nearly all
// are short), not grown by append, whose doubling left up to half of each
// host's slice unused.
func Keep(marks []Mark) Kept {
	var k Kept
	for i, m := range marks {
		if p, ok := plainOf(m); ok {
			if k.plain == nil {
				k.plain = make([]plainMark, 0, len(marks)-i)
			}
			k.plain = append(k.plain, p)
		} else {
			k.full = append(k.full, m)
		}
	}
	return k
}

// Marks unpacks the marks: those with more than the short form first, in
// the order given to Keep, then the others, in that order too. The order
// matters only where a bound cuts the list (inspects per poll), and there
// the containers with a history go first.
func (k Kept) Marks() []Mark {
	if len(k.full)+len(k.plain) == 0 {
		return nil
	}
	out := make([]Mark, 0, len(k.full)+len(k.plain))
	out = append(out, k.full...)
	for _, p := range k.plain {
		out = append(out, Mark{ID: p.id, Name: p.name, Health: p.health, RestartCount: p.restartCount, Seen: p.seen})
	}
	return out
}

// plainOf is m's short form, when it has nothing the short form lacks.
func plainOf(m Mark) (plainMark, bool) {
	rest := m
	rest.ID, rest.Name, rest.Health, rest.RestartCount, rest.Seen = "", "", "", 0, time.Time{}
	if !rest.isZero() {
		return plainMark{}, false
	}
	return plainMark{id: m.ID, name: m.Name, health: m.Health, restartCount: m.RestartCount, seen: m.Seen}, true
}

// isZero reports whether every field of m is zero. TestKeptRoundTripsEveryField
// sets each field in turn, so a field added to Mark and not here fails it.
func (m Mark) isZero() bool {
	return m.ID == "" && m.Name == "" && m.Health == "" && m.RestartCount == 0 && m.Seen.IsZero() &&
		m.LastExit.IsZero() && m.LastExitCode == 0 && len(m.Restarts) == 0 && m.LastRestart.IsZero() &&
		m.LoopSince.IsZero() && m.OOMKills == 0 && m.LastReport.IsZero() && m.LastReportKind == "" &&
		m.KillAt.IsZero() && m.OOMAt.IsZero() && m.KillSignal == "" &&
		!m.userStop && len(m.starts) == 0 && !m.awaitingDie
}
