package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"notifier/internal/silence"
)

// Silencer is what the silences API (/api/v1/silences) asks of the Source: the running
// notifier's silences, shared by its replicas (nats-kv).
type Silencer interface {
	// Silences returns every silence kept, expired ones included (for 7 days).
	Silences() []silence.Silence
	// AddSilence validates s (a *silence.InvalidError when it does not) and keeps it,
	// with a new id; starts_at defaults to now.
	AddSilence(ctx context.Context, s silence.Silence) (silence.Silence, error)
	// ExpireSilence ends the silence with id now; false when there is none.
	ExpireSilence(ctx context.Context, id string) (silence.Silence, bool, error)
}

// SilencesPath is where the API is served.
const SilencesPath = "/api/v1/silences"

// maxSilenceBody bounds a POSTed silence.
const maxSilenceBody = 64 << 10

// SilenceList is the answer of GET /api/v1/silences.
type SilenceList struct {
	Silences []silence.Silence `json:"silences"`
}

// APIError is the body of every refusal of the API.
type APIError struct {
	Error string `json:"error"`
}

// silenceHandlers serves the API on mux, for src.
func silenceHandlers(mux *http.ServeMux, src Source) {
	sl, ok := src.(Silencer)
	if !ok {
		return
	}
	mux.HandleFunc("GET "+SilencesPath, func(w http.ResponseWriter, r *http.Request) {
		all := sl.Silences()
		out := SilenceList{Silences: []silence.Silence{}}
		expired := r.URL.Query().Get("expired") == "true"
		now := time.Now()
		for _, s := range all {
			if expired || !s.Expired(now) {
				out.Silences = append(out.Silences, s)
			}
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST "+SilencesPath, func(w http.ResponseWriter, r *http.Request) {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			writeJSON(w, http.StatusUnsupportedMediaType, APIError{"POST " + SilencesPath + " takes Content-Type: application/json"})
			return
		}
		var s silence.Silence
		dec := json.NewDecoder(io.LimitReader(r.Body, maxSilenceBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			writeJSON(w, http.StatusBadRequest, APIError{"the body is not a silence: " + err.Error()})
			return
		}
		if u, _, ok := r.BasicAuth(); ok && s.CreatedBy == "" { // the listener checked it
			s.CreatedBy = u
		}
		added, err := sl.AddSilence(r.Context(), s)
		if err != nil {
			writeSilenceError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, added)
	})
	mux.HandleFunc("DELETE "+SilencesPath+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		s, found, err := sl.ExpireSilence(r.Context(), id)
		switch {
		case err != nil:
			writeSilenceError(w, err)
		case !found:
			writeJSON(w, http.StatusNotFound, APIError{fmt.Sprintf("no silence %q", id)})
		default:
			writeJSON(w, http.StatusOK, s)
		}
	})
}

func writeSilenceError(w http.ResponseWriter, err error) {
	if _, invalid := errors.AsType[*silence.InvalidError](err); invalid {
		writeJSON(w, http.StatusBadRequest, APIError{err.Error()})
		return
	}
	writeJSON(w, http.StatusServiceUnavailable, APIError{err.Error()})
}

// apiRefusal says why the silences API is refused on a listener at addr served with
// webConfig, "" when it is not: the API changes what is sent, so it needs the listener
// to authenticate its clients (basic_auth_users, or client certificates required by
// tls_server_config) unless only this machine can reach it (a loopback address). The
// file is read at each request, as exporter-toolkit reads it.
func apiRefusal(addr, webConfig string) string {
	if authenticates(webConfig) {
		return ""
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() || host == "localhost" {
			return ""
		}
	}
	return fmt.Sprintf("the silences API is refused: http.listen %s is not a loopback address and http.web_config_file "+
		"configures no authentication (basic_auth_users, or client_auth_type RequireAndVerifyClientCert); "+
		"configure one, or listen on 127.0.0.1 (docs/security.md)", addr)
}

// authenticates reports whether the web config file makes clients authenticate.
func authenticates(webConfig string) bool {
	if webConfig == "" {
		return false
	}
	b, err := os.ReadFile(webConfig)
	if err != nil {
		return false
	}
	var c struct {
		Users map[string]string `yaml:"basic_auth_users"`
		TLS   struct {
			ClientAuth string `yaml:"client_auth_type"`
		} `yaml:"tls_server_config"`
	}
	if yaml.Unmarshal(b, &c) != nil {
		return false
	}
	return len(c.Users) > 0 || c.TLS.ClientAuth == "RequireAndVerifyClientCert"
}
