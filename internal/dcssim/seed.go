package dcssim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// historyNames are the task names of the vendor's page, weighted by repetition towards the
// operations that are common on a real instance.
var historyNames = []string{
	"EXTEND", "EXTEND", "BindEip", "UnBindEip", "AddReplica", "DelReplica", "AddWhitelist",
	"AddWhitelist", "AddWhitelist", "UpdatePort", "RemoveIpFromDns", "masterStandbySwapJob", "modify", "modify",
}

// SeedHistory returns n finished (SUCCESS) tasks of projectID, newest first, with created_at
// spread evenly from oldest to newest (with a little jitter) and believable names and details.
// The result depends only on its arguments, so benchmarks and tests see the same history.
// Load it with Sim.PutAll.
func SeedHistory(projectID string, n int, oldest, newest time.Time) []Task {
	if n <= 0 {
		return nil
	}
	g := newGen(projectID, int64(n))
	span := newest.Sub(oldest)
	step := span / time.Duration(n)
	users := []user{g.user(), g.user(), g.user()}
	out := make([]Task, n)
	for i := range n {
		created := newest.Add(-time.Duration(i) * step)
		if step > time.Millisecond {
			created = created.Add(-time.Duration(g.r.Int64N(int64(step))))
		}
		created = created.Truncate(time.Millisecond).UTC()
		name := historyNames[g.r.IntN(len(historyNames))]
		t := g.task(name, users[g.r.IntN(len(users))], created)
		t.Details = g.details(name)
		t.Status = "SUCCESS"
		t.UpdatedAt = created.Add(time.Duration(2000+g.r.IntN(118000)) * time.Millisecond)
		out[i] = t
	}
	return out
}

// gen draws deterministic ids, users and details.
type gen struct{ r *rand.Rand }

type user struct{ name, id string }

func newGen(key string, salt int64) *gen {
	h := fnv.New64a()
	h.Write([]byte(key))
	return &gen{rand.New(rand.NewPCG(h.Sum64(), uint64(salt)))}
}

// hex32 is an id in the API's shape: 32 lower-case hex digits.
func (g *gen) hex32() string { return fmt.Sprintf("%016x%016x", g.r.Uint64(), g.r.Uint64()) }

func (g *gen) uuid() string {
	h := g.hex32()
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (g *gen) user() user {
	return user{name: fmt.Sprintf("ops_%s_%02d", []string{"lin", "wang", "chen", "zhao"}[g.r.IntN(4)], g.r.IntN(20)), id: g.hex32()}
}

func (g *gen) ip(prefix string) string {
	return fmt.Sprintf("%s.%d.%d", prefix, g.r.IntN(256), 2+g.r.IntN(250))
}

// task is a new RUNNING task; the caller sets details and, when it finishes, status and time.
func (g *gen) task(name string, u user, created time.Time) Task {
	return Task{
		ID: g.hex32(), Name: name, JobID: g.hex32(), UserName: u.name, UserID: u.id,
		Status: "RUNNING", CreatedAt: created, EnableShow: name == "EXTEND",
	}
}

// details returns details as the API fills them for name; nil (null) for tasks that have none.
func (g *gen) details(name string) map[string]any {
	caps := []float64{0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32}
	switch name {
	case "EXTEND":
		i := g.r.IntN(len(caps) - 1)
		return map[string]any{
			"old_capacity": caps[i], "new_capacity": caps[i+1],
			"old_cache_mode": "ha", "new_cache_mode": "ha", "is_only_adjust_charging": false,
		}
	case "BindEip", "UnBindEip":
		return map[string]any{
			"enable_public_ip": name == "BindEip", "public_ip_id": g.uuid(),
			"public_ip_address": g.ip("121.36"), "enable_ssl": g.r.IntN(2) == 0,
		}
	case "AddReplica", "DelReplica":
		n := 2 + g.r.IntN(3)
		next := n + 1
		if name == "DelReplica" {
			next = n - 1
		}
		return map[string]any{
			"replica_ip": g.ip("192.168"), "replica_az": fmt.Sprintf("cn-north-4%c", 'a'+rune(g.r.IntN(3))),
			"group_name": fmt.Sprintf("group-%d", g.r.IntN(3)), "old_replica_num": n, "new_replica_num": next,
		}
	case "UpdatePort":
		return map[string]any{"old_port": 6379, "new_port": 6380 + g.r.IntN(100)}
	case "RemoveIpFromDns":
		return map[string]any{"node_name": fmt.Sprintf("node-%d", g.r.IntN(6)), "replica_ip": g.ip("192.168")}
	case "masterStandbySwapJob":
		return map[string]any{"source_ip": g.ip("192.168"), "target_ip": g.ip("192.168")}
	case "modify":
		return map[string]any{"account_name": []string{"default", "readonly", "app_rw"}[g.r.IntN(3)]}
	}
	return nil
}
