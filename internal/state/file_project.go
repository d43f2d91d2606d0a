package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// ProjectFile is the content of one project file: the project's state (absent when it has
// only pending events) and its pending events, each with its order in the whole outbox.
// Version is Version.
type ProjectFile struct {
	Version int                `json:"version"`
	ID      string             `json:"id"`
	Project *diff.ProjectState `json:"project,omitempty"`
	Outbox  []OrderedPending   `json:"outbox,omitempty"`
}

// OrderedPending is a pending event and its place in the commit order of every project.
type OrderedPending struct {
	Order uint64      `json:"order"`
	Event event.Event `json:"event"`
	Sinks []string    `json:"sinks"`
}

// ProjectFileName is the name of a project's file in ProjectsDir: the id itself when it is
// made of [a-z0-9_-] and at most 128 bytes long; else "~" and the id in hexadecimal when
// the id is at most 100 bytes; else "~~" and the SHA-256 of the id in hexadecimal. Names
// never collide (the three forms differ in their first characters, and on filesystems
// that ignore case too), never leave the directory, and the file holds the id, which
// Load checks against its name.
func ProjectFileName(id string) string {
	if len(id) > 0 && len(id) <= 128 && plainID(id) {
		return id + ".json"
	}
	if len(id) <= 100 {
		return "~" + hex.EncodeToString([]byte(id)) + ".json"
	}
	sum := sha256.Sum256([]byte(id))
	return "~~" + hex.EncodeToString(sum[:]) + ".json"
}

func plainID(id string) bool {
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// DecodeProject parses and checks a project file.
func DecodeProject(b []byte) (*ProjectFile, error) {
	var pf ProjectFile
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&pf); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the project")
	}
	if pf.Version != Version {
		return nil, fmt.Errorf("format version %d, this build reads %d", pf.Version, Version)
	}
	if pf.Project != nil && pf.Project.Tasks == nil {
		return nil, fmt.Errorf("project %q has no task map", pf.ID)
	}
	if pf.Project == nil && len(pf.Outbox) == 0 {
		return nil, fmt.Errorf("project %q: neither state nor pending events", pf.ID)
	}
	seen := make(map[uint64]string, len(pf.Outbox)) // order → event id
	for i, p := range pf.Outbox {
		switch id, ok := seen[p.Order]; {
		case p.Event.ID == "" || len(p.Sinks) == 0:
			return nil, fmt.Errorf("outbox[%d]: event without id or sinks", i)
		case p.Event.Data.ProjectID != pf.ID:
			return nil, fmt.Errorf("outbox[%d]: event of project %q in the file of project %q", i, p.Event.Data.ProjectID, pf.ID)
		case p.Order == 0 || ok && id != p.Event.ID: // an id pending twice has one order
			return nil, fmt.Errorf("outbox[%d]: order %d missing or repeated", i, p.Order)
		}
		seen[p.Order] = p.Event.ID
	}
	return &pf, nil
}

// encodeProject is json.Marshal of the ProjectFile of id whose state encodes as st (nil:
// no state), reusing the encodings of the pending events (f.events).
func (f *File) encodeProject(id string, st []byte, outbox []Pending, idx []int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(st) + 1024*len(idx) + 64)
	buf.WriteString(`{"version":`)
	buf.WriteString(strconv.Itoa(Version))
	buf.WriteString(`,"id":`)
	writeJSON(&buf, id)
	if st != nil {
		buf.WriteString(`,"project":`)
		buf.Write(st)
	}
	if len(idx) > 0 {
		var num [20]byte
		buf.WriteString(`,"outbox":[`)
		for j, i := range idx {
			p := &outbox[i]
			se := f.events[p.Event.ID]
			if se.enc == nil {
				b, err := json.Marshal(&p.Event)
				if err != nil {
					return nil, err
				}
				se.enc = b
				f.events[p.Event.ID] = se
			}
			if j > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`{"order":`)
			buf.Write(strconv.AppendUint(num[:0], se.order, 10))
			buf.WriteString(`,"event":`)
			buf.Write(se.enc)
			buf.WriteString(`,"sinks":`)
			if p.Sinks == nil {
				buf.WriteString("null")
			} else {
				buf.WriteByte('[')
				for k, sink := range p.Sinks {
					if k > 0 {
						buf.WriteByte(',')
					}
					writeJSON(&buf, sink)
				}
				buf.WriteByte(']')
			}
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// writeJSON writes s as json.Marshal does.
func writeJSON(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			buf.Write(b)
			return
		}
	}
	buf.WriteByte('"')
	buf.WriteString(s)
	buf.WriteByte('"')
}
