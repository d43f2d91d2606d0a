package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/user"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"notifier/internal/silence"
	"notifier/internal/web"
)

// silenceEnv is the environment every silence command reads.
var silenceEnv = slices.Concat(configEnv, []string{userEnv + "     the basic auth user when --web.username is not given",
	passwordEnv + "     the basic auth password, unless --web.password-file"})

// silenceCommand is notifier silence add|list|expire|query: the silences of the running
// notifier, through its API (/api/v1/silences), reached as healthcheck reaches /healthz.
var silenceCommand = &command{
	name: "silence", synopsis: "<command> [flags]",
	summary: "add, list, expire or query the running notifier's silences",
	about: "Silences keep matching events from receivers for a while, without editing the configuration:\n" +
		"every replica applies them at once, NATS still gets every event (its data says silenced_by),\n" +
		"and an on-call receiver still gets what resolves an incident it opened. They are asked of the\n" +
		"notifier running with the same configuration, through its API on http.listen (--url to ask\n" +
		"another), with http.web_config_file's TLS and basic auth as healthcheck uses them (--web.username,\n" +
		"$" + passwordEnv + " or --web.password-file). The API is refused unless the listener authenticates\n" +
		"or listens on loopback.",
	env:     silenceEnv,
	exits:   []string{"0  done", "1  the notifier refused or did not answer", "2  a wrong command line"},
	example: "notifier silence add --for 2h --task-name masterStandbySwapJob --instance 'redis-orders*' --comment \"planned failover test\"",
	sub: []*command{
		{
			name: "add", synopsis: "--for D --comment TEXT [MATCHER FLAGS] [--created-by NAME] [CONNECTION FLAGS]",
			summary: "add a silence and print its id",
			about: "Adds a silence from now for D, of the events every given matcher matches (at least one):\n" +
				"--project (id or name), --region, --instance and --task-name (globs: * any characters but /,\n" +
				"? one, [a-z] one of a class), --status, --event-type (task, stuck or gap) and --receiver (one\n" +
				"receiver; default every one but NATS). Prints the new silence's id.",
			env:     silenceEnv,
			exits:   []string{"0  added (the id on stdout)", "1  refused or no answer", "2  a wrong command line"},
			example: "notifier silence add --for 2h --task-name masterStandbySwapJob --instance 'redis-orders*' --comment \"planned failover test\"",
			declare: func(c *kingpin.CmdClause) action {
				f := new(silenceAdd)
				f.conn.declare(c)
				c.Flag("for", "how long the silence lasts, from now (2h, 30m)").DurationVar(&f.duration)
				c.Flag("comment", "why: shown on the status page and in notifier routes (required)").StringVar(&f.comment)
				c.Flag("created-by", "who silences (default: the OS user)").StringVar(&f.createdBy)
				f.match.declare(c)
				return f
			},
		},
		{
			name: "list", synopsis: "[--expired] [CONNECTION FLAGS]",
			summary: "list the silences: active and pending ones, expired ones too with --expired",
			about:   "Lists the silences, one a line: id, until when, who, what it matches, why.",
			env:     silenceEnv,
			exits:   []string{"0  listed", "1  refused or no answer", "2  a wrong command line"},
			example: "notifier silence list --expired",
			declare: func(c *kingpin.CmdClause) action {
				f := new(silenceList)
				f.conn.declare(c)
				c.Flag("expired", "expired silences too (kept 7 days)").BoolVar(&f.expired)
				return f
			},
		},
		{
			name: "expire", synopsis: "[CONNECTION FLAGS] ID",
			summary: "expire a silence now",
			about:   "Ends the silence ID now; it is kept, expired, for 7 days.",
			env:     silenceEnv,
			exits:   []string{"0  expired", "1  no such silence, refused or no answer", "2  a wrong command line"},
			example: "notifier silence expire 3f2a9c41d0b7e655",
			declare: func(c *kingpin.CmdClause) action {
				f := new(silenceExpire)
				f.conn.declare(c)
				c.Arg("id", "the silence's id, as add and list print it").Required().StringVar(&f.id)
				return f
			},
		},
		{
			name: "query", synopsis: "[MATCHER FLAGS] [CONNECTION FLAGS]",
			summary: "list the active silences that would silence an event with these fields",
			about: "Lists the active silences that would keep an event with the fields given from a receiver:\n" +
				"each matcher of a silence that the query also gives must match it (a glob against the value\n" +
				"given); a field not given is not asked. --receiver asks about one receiver.",
			env:     silenceEnv,
			exits:   []string{"0  listed", "1  refused or no answer", "2  a wrong command line"},
			example: "notifier silence query --task-name masterStandbySwapJob --instance redis-orders-1",
			declare: func(c *kingpin.CmdClause) action {
				f := new(silenceQuery)
				f.conn.declare(c)
				f.match.declare(c)
				return f
			},
		},
	},
}

// silenceConn is how a silence command reaches the running notifier: healthcheck's way.
type silenceConn struct {
	config, url, user, passwordFile string
	timeout                         time.Duration
}

func (c *silenceConn) declare(cl *kingpin.CmdClause) {
	configFlag(cl, &c.config)
	cl.Flag("url", "the running notifier's base URL (default: from http.listen and http.web_config_file)").StringVar(&c.url)
	cl.Flag("web.username", "basic auth user (default $"+userEnv+"); the password is $"+passwordEnv).StringVar(&c.user)
	cl.Flag("web.password-file", "read the basic auth password from this file instead of $"+passwordEnv).StringVar(&c.passwordFile)
	cl.Flag("timeout", "how long to wait for the answer").Default("10s").DurationVar(&c.timeout)
}

// silenceMatch are the matcher flags.
type silenceMatch struct{ m silence.Matchers }

func (f *silenceMatch) declare(c *kingpin.CmdClause) {
	c.Flag("project", "a project id or name").StringVar(&f.m.Project)
	c.Flag("region", "a region id").StringVar(&f.m.Region)
	c.Flag("instance", "a glob over the instance id and name").StringVar(&f.m.Instance)
	c.Flag("task-name", "a glob over the task name").StringVar(&f.m.TaskName)
	c.Flag("status", "a task status (FAILED)").StringVar(&f.m.Status)
	c.Flag("event-type", "task, stuck or gap").StringVar(&f.m.EventType)
	c.Flag("receiver", "one receiver's name (default: every one but NATS)").StringVar(&f.m.Receiver)
}

// call sends method path (below the API) with body as JSON and decodes the answer into
// out; an answer other than 2xx is an error quoting the API's.
func (c *silenceConn) call(method, path string, body, out any) error {
	return c.callWith(method, path, "", body, out)
}

// callWith is call with a query string.
func (c *silenceConn) callWith(method, path, query string, body, out any) error {
	o := &healthOptions{config: c.config, url: c.url, user: c.user, passwordFile: c.passwordFile}
	req, client, err := o.request(os.Getenv)
	if err != nil {
		return err
	}
	if c.url == "" {
		req.URL.Path = ""
	}
	req.URL.Path = strings.TrimRight(req.URL.Path, "/") + web.SilencesPath + path
	req.URL.RawQuery = query
	req.Method = method
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		req.Header.Set("Content-Type", "application/json")
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	target := req.URL.Redacted()
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("%s: no answer: %w", target, transportError(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode/100 != 2 {
		var e web.APIError
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s: %s", method, target, resp.Status, e.Error)
		}
		if resp.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("%s %s: %s: the listener asks for basic auth (--web.username, and $%s or --web.password-file)", method, target, resp.Status, passwordEnv)
		}
		return fmt.Errorf("%s %s: %s", method, target, resp.Status)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the API's: %w", method, target, err)
	}
	return nil
}

func silenceFail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "notifier silence %s: %v\n", cmd, err)
	return exitRuntime
}

type silenceAdd struct {
	conn      silenceConn
	match     silenceMatch
	duration  time.Duration
	comment   string
	createdBy string
}

func (f *silenceAdd) run(stdout, stderr io.Writer) int {
	switch {
	case f.duration <= 0:
		fmt.Fprintln(stderr, "notifier silence add: --for is required: how long the silence lasts (2h)")
		return exitUsage
	case strings.TrimSpace(f.comment) == "":
		fmt.Fprintln(stderr, "notifier silence add: --comment is required: say why, for whoever finds it")
		return exitUsage
	case f.match.m == (silence.Matchers{}):
		fmt.Fprintln(stderr, "notifier silence add: give at least one matcher (--task-name, --instance, --project, --region, --status, --event-type, --receiver)")
		return exitUsage
	}
	if f.createdBy == "" {
		f.createdBy = osUser()
	}
	now := time.Now().UTC()
	in := silence.Silence{Matchers: f.match.m, StartsAt: now, EndsAt: now.Add(f.duration), CreatedBy: f.createdBy, Comment: f.comment}
	var out silence.Silence
	if err := f.conn.call(http.MethodPost, "", in, &out); err != nil {
		return silenceFail(stderr, "add", err)
	}
	fmt.Fprintln(stdout, out.ID)
	return exitOK
}

// osUser is who runs the command, for created_by.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}

type silenceList struct {
	conn    silenceConn
	expired bool
}

func (f *silenceList) run(stdout, stderr io.Writer) int {
	query := ""
	if f.expired {
		query = "expired=true"
	}
	var l web.SilenceList
	if err := f.conn.callWith(http.MethodGet, "", query, nil, &l); err != nil {
		return silenceFail(stderr, "list", err)
	}
	printSilences(stdout, l.Silences, time.Now())
	return exitOK
}

// printSilences prints one silence a line, under a header.
func printSilences(w io.Writer, all []silence.Silence, now time.Time) {
	if len(all) == 0 {
		fmt.Fprintln(w, "# no silence")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tENDS_AT\tCREATED_BY\tMATCHERS\tCOMMENT")
	for _, s := range all {
		state := "active"
		switch {
		case s.Expired(now):
			state = "expired"
		case !s.Active(now):
			state = "pending"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, state, s.EndsAt.UTC().Format(time.RFC3339), s.CreatedBy, s.Matchers, s.Comment)
	}
	_ = tw.Flush()
}

type silenceExpire struct {
	conn silenceConn
	id   string
}

func (f *silenceExpire) run(stdout, stderr io.Writer) int {
	if !silence.ValidID(f.id) {
		fmt.Fprintf(stderr, "notifier silence expire: %q is not a silence id (notifier silence list prints them)\n", f.id)
		return exitUsage
	}
	var out silence.Silence
	if err := f.conn.call(http.MethodDelete, "/"+f.id, nil, &out); err != nil {
		return silenceFail(stderr, "expire", err)
	}
	fmt.Fprintf(stdout, "expired %s at %s\n", out.ID, out.EndsAt.UTC().Format(time.RFC3339))
	return exitOK
}

type silenceQuery struct {
	conn  silenceConn
	match silenceMatch
}

func (f *silenceQuery) run(stdout, stderr io.Writer) int {
	var l web.SilenceList
	if err := f.conn.call(http.MethodGet, "", nil, &l); err != nil {
		return silenceFail(stderr, "query", err)
	}
	now := time.Now()
	var hit []silence.Silence
	for _, s := range l.Silences {
		if s.Active(now) && s.Could(f.match.m) {
			hit = append(hit, s)
		}
	}
	printSilences(stdout, hit, now)
	return exitOK
}
