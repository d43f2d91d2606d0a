// Package natstest starts real NATS servers in the test process: a single JetStream
// server, or a JetStream cluster of several nodes on loopback that can lose and regain a
// node. It is for tests only.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a JetStream cluster on loopback.
type Cluster struct {
	t       testing.TB
	name    string
	opts    []*server.Options
	Servers []*server.Server // nil while a node is stopped
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// NewCluster starts n JetStream nodes clustered over loopback and waits until JetStream
// has a meta leader. The nodes stop when the test ends.
func NewCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{t: t, name: "C" + strings.ReplaceAll(t.Name(), "/", "_")}
	routes := make([]*url.URL, n)
	clusterPorts := make([]int, n)
	for i := range n {
		clusterPorts[i] = freePort(t)
		routes[i] = &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", clusterPorts[i])}
	}
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       -1, // the kernel picks; Start records it for restarts
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster: server.ClusterOpts{
				Name: c.name,
				Host: "127.0.0.1",
				Port: clusterPorts[i],
			},
			Routes: routes,
		}
		c.opts = append(c.opts, o)
	}
	c.Servers = make([]*server.Server, n)
	for i := range n {
		c.Start(i)
	}
	t.Cleanup(func() {
		for _, s := range c.Servers {
			if s != nil {
				s.Shutdown()
			}
		}
	})
	c.WaitReady()
	return c
}

// Start starts (or restarts) node i on its old ports and store.
func (c *Cluster) Start(i int) {
	c.t.Helper()
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		c.t.Fatalf("node %d not ready", i)
	}
	c.opts[i].Port = s.Addr().(*net.TCPAddr).Port
	c.Servers[i] = s
}

// Stop shuts node i down.
func (c *Cluster) Stop(i int) {
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
	c.Servers[i] = nil
}

// WaitReady waits until every running node is routed to the others and current, the meta
// leader knows every running node as a JetStream peer, and every running node passes its
// health check (the server's /healthz: every stream and consumer it holds a replica of is
// current). That is the check an operator makes before restarting the next node of a
// rolling restart: a node restarted before its replicas caught up can leave a stream
// without a leader.
func (c *Cluster) WaitReady() {
	c.t.Helper()
	running := 0
	for _, s := range c.Servers {
		if s != nil {
			running++
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c.ready(running) == "" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i, s := range c.Servers {
		if s != nil {
			c.t.Logf("node %d: routes %d peers %v current %v leader %v health %q", i, s.NumRoutes(), s.JetStreamClusterPeers(),
				s.JetStreamIsCurrent(), s.JetStreamIsLeader(), s.Healthz(nil).Error)
		}
	}
	c.t.Fatalf("jetstream cluster not ready: %s", c.ready(running))
}

// ready says what keeps the cluster of running nodes from being ready, "" when nothing.
func (c *Cluster) ready(running int) string {
	if !hasMetaLeader(c.Servers) {
		return "no meta leader"
	}
	for i, s := range c.Servers {
		if s == nil {
			continue
		}
		switch {
		case s.NumRoutes() < running-1:
			return fmt.Sprintf("node %d has %d routes of %d", i, s.NumRoutes(), running-1)
		case !s.JetStreamIsCurrent():
			return fmt.Sprintf("node %d is not current with the meta leader", i)
		case s.JetStreamIsLeader() && len(s.JetStreamClusterPeers()) < running: // only the meta leader answers with the peers
			return fmt.Sprintf("the meta leader, node %d, knows %d peers of %d", i, len(s.JetStreamClusterPeers()), running)
		}
		if h := s.Healthz(nil); h.StatusCode != 200 {
			return fmt.Sprintf("node %d is unhealthy: %s", i, h.Error)
		}
	}
	return ""
}

// URL returns a comma-separated list of every node's client URL, for clients that must
// survive the loss of any one node.
func (c *Cluster) URL() string {
	var urls []string
	for _, o := range c.opts {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(urls, ",")
}

func hasMetaLeader(ss []*server.Server) bool {
	for _, s := range ss {
		if s != nil && s.JetStreamIsLeader() {
			return true
		}
	}
	return false
}
