package diff

// goldenTasks is a state's task map with every kind of id and field the JSON must keep:
// the API's UUIDs, other spellings of them (upper case, no dashes), ids that are not UUIDs
// at all (empty, HTML characters, non-ASCII, invalid UTF-8), and every field set and unset.
// testdata/tasks_golden.json is json.Marshal of a ProjectState holding them (Horizon 42,
// Durations {"EXTEND": [1, 2]}, LastOK 5) as the map-based code wrote it, before diff.Tasks.
var goldenTasks = map[string]TaskState{
	"c8d3a1f0-5b2e-4c1a-9f3e-0a1b2c3d4e5f":  {Status: "SUCCESS", Created: 1700000000000, Seq: 2},
	"00000000-0000-0000-0000-000000000000":  {Status: "RUNNING", Created: 1, Name: "EXTEND"},
	"ffffffff-ffff-ffff-ffff-ffffffffffff":  {Status: "FAILED", Created: -5, Seq: 4294967295, Missing: 1700000009000, Stuck: true},
	"C8D3A1F0-5B2E-4C1A-9F3E-0A1B2C3D4E5F":  {Status: "SUCCESS", Created: 1700000000001},
	"c8d3a1f05b2e4c1a9f3e0a1b2c3d4e5f":      {Status: "RUNNING", Created: 1700000000002, Seq: 1, Name: "masterStandbySwapJob", Stuck: true},
	"0123456789abcdef0123456789abcdef":      {Status: "", Created: 0},
	"c8d3a1f0-5b2e-4c1a-9f3e-0a1b2c3d4e5":   {Status: "SUCCESS", Created: 3},
	"c8d3a1f0-5b2e-4c1a-9f3e-0a1b2c3d4e5f0": {Status: "SUCCESS", Created: 4},
	"c8d3a1f0_5b2e-4c1a-9f3e-0a1b2c3d4e5f":  {Status: "SUCCESS", Created: 5},
	"g8d3a1f0-5b2e-4c1a-9f3e-0a1b2c3d4e5f":  {Status: "SUCCESS", Created: 6},
	"":                                      {Status: "DELETED", Created: 7, Missing: 8},
	"a<&>\"\\/\u2028\u00e9":                 {Status: "st<&>\"\n\u00e9", Created: 9, Name: "n<&>\t\"\u2029"},
	"bad\xffutf8":                           {Status: "bad\xfe", Created: 10, Name: "x\x00y"},
	"t1":                                    {Status: "RUNNING", Created: 11, Seq: 7, Missing: -1, Name: "EXTEND"},
	"T1":                                    {Status: "running", Created: 12},
	"zz":                                    {},
}
