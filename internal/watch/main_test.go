package watch

import (
	"flag"
	"os"
	"testing"
)

// TestMain lets more tests run at once than there are cores (go test's
// default -parallel is GOMAXPROCS, 2 on the CI machine): the tests of Start
// and Stop wait on the real one-second cron, not on the CPU. An explicit
// -test.parallel still wins.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		if err := flag.Set("test.parallel", "8"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
