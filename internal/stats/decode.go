package stats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/docker/docker/api/types/container"
)

// ErrMalformedStats marks a stats payload that is not one JSON object of the
// Engine API's stats shape; callers can tell it apart from transport errors.
var ErrMalformedStats = errors.New("malformed container stats")

// maxPreview bounds how much of a bad payload is quoted in an error, so a
// daemon answering with an HTML page does not flood logs and conditions.
const maxPreview = 32

// Decode parses one GET /containers/{id}/stats document (stream=false). It
// rejects anything but a single JSON object, including an empty body and the
// concatenated frames of a streaming answer, with an error wrapping
// ErrMalformedStats.
func Decode(data []byte) (*container.StatsResponse, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: empty payload", ErrMalformedStats)
	}
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: payload is not a JSON object (starts with %q)",
			ErrMalformedStats, preview(trimmed))
	}
	var s container.StatsResponse
	if err := json.Unmarshal(trimmed, &s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedStats, err)
	}
	return &s, nil
}

// preview returns the start of a payload for an error message.
func preview(b []byte) string {
	if len(b) > maxPreview {
		return string(b[:maxPreview]) + "..."
	}
	return string(b)
}
