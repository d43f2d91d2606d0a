package diff

import (
	"encoding/json"
	"strconv"
)

// MarshalJSON writes the tasks as encoding/json writes a map[string]TaskState: keys
// sorted, the same escaping, the same omitted fields.
func (t *Tasks) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("null"), nil
	}
	buf := make([]byte, 0, len(t.recs)*90+2)
	buf = append(buf, '{')
	for i := range t.recs {
		r := &t.recs[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		if r.kind() == kindOther {
			buf = appendString(buf, t.ids[r.own(0)])
		} else {
			buf = append(buf, '"')
			buf = formatID(buf, r)
			buf = append(buf, '"')
		}
		buf = append(buf, `:{"s":`...)
		buf = appendString(buf, t.str(r, r.statusSym(), 1))
		buf = append(buf, `,"c":`...)
		buf = strconv.AppendInt(buf, r.created, 10)
		if r.seq != 0 {
			buf = append(buf, `,"q":`...)
			buf = strconv.AppendUint(buf, uint64(r.seq), 10)
		}
		if r.missing != 0 {
			buf = append(buf, `,"m":`...)
			buf = strconv.AppendInt(buf, r.missing, 10)
		}
		if v := r.nameSym(); v != 0 {
			buf = append(buf, `,"n":`...)
			buf = appendString(buf, t.str(r, v, 2))
		}
		if r.stuck() {
			buf = append(buf, `,"k":true`...)
		}
		buf = append(buf, '}')
	}
	return append(buf, '}'), nil
}

// appendString appends s as encoding/json writes it.
func appendString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// UnmarshalJSON reads the tasks as encoding/json reads a map[string]TaskState.
func (t *Tasks) UnmarshalJSON(b []byte) error {
	var m map[string]TaskState
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*t = *TasksOf(m)
	return nil
}
