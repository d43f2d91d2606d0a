package diff

import "time"

// thresholds keeps each task name's stuck threshold for one diff: it depends only on the
// name and the previous state's durations, and sorting a name's 100 samples again for
// each of its running tasks cost a poll of 10,000 of them 110,000 allocations (21 MB).
type thresholds struct {
	byName map[string]threshold
}

type threshold struct {
	limit  time.Duration
	source string
}

// of is o.Stuck.Threshold of name with prev's durations, computed once per name.
func (t *thresholds) of(prev *ProjectState, name string, o *Options) (time.Duration, string) {
	if th, ok := t.byName[name]; ok {
		return th.limit, th.source
	}
	limit, source := o.Stuck.Threshold(name, durationsOf(prev, name))
	if t.byName == nil {
		t.byName = map[string]threshold{}
	}
	t.byName[name] = threshold{limit, source}
	return limit, source
}
