package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// scheduleParser reads the poll spec: the standard five crontab fields plus
// descriptors (@every 2m, @hourly…), as robfig/cron's ParseStandard.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// cronFields names the five crontab fields in order.
var cronFields = [...]string{"minute", "hour", "day of month", "month", "day of week"}

// ParseSchedule parses a poll spec and checks that it fires. robfig/cron's
// parser panics on some malformed specs ("TZ=UTC" slices past its end), so
// the panic is recovered into an error; a spec that never fires ("0 0 30 2 *":
// there is no 30 February) is refused, naming the fields that never meet.
// It is the one place the poll spec is read: config.Load and the watcher
// both use it.
func ParseSchedule(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, errors.New("malformed: expected five crontab fields, optionally after TZ=<zone> and a space, or a descriptor such as @every 2m")
		}
	}()
	s, err = scheduleParser.Parse(spec)
	if err != nil {
		return nil, err
	}
	// cron.Schedule.Next gives up after five years and returns the zero time.
	from := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if !s.Next(from).IsZero() {
		return s, nil
	}
	fields := strings.Fields(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		fields = fields[1:]
	}
	var culprits []string
	if len(fields) == len(cronFields) {
		for i := range fields {
			relaxed := append([]string(nil), fields...)
			relaxed[i] = "*"
			if r, err := scheduleParser.Parse(strings.Join(relaxed, " ")); err == nil && !r.Next(from).IsZero() {
				culprits = append(culprits, fmt.Sprintf("%s (%s)", cronFields[i], fields[i]))
			}
		}
	}
	if len(culprits) == 0 {
		return nil, errors.New("it never fires")
	}
	return nil, fmt.Errorf("it never fires: its %s never meet", strings.Join(culprits, " and "))
}
