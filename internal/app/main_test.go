package app_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain lets more end-to-end tests run at once than there are cores (go
// test's default -parallel is GOMAXPROCS, 2 on the CI machine). They spend
// their time waiting, not computing: the bot honours Slack's limit of about
// one message a second per channel in real time, and a story posts a dozen.
// An explicit -test.parallel still wins.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		if err := flag.Set("test.parallel", "12"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
