package slacksim

import "sync"

// eventQueue hands events to the observer in order from one goroutine. It is
// unbounded so a slow observer never blocks the server.
type eventQueue struct {
	observer func(Event)
	mu       sync.Mutex
	cond     *sync.Cond
	items    []Event
	closed   bool
	done     chan struct{}
}

func newEventQueue(observer func(Event)) *eventQueue {
	q := &eventQueue{observer: observer, done: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	if observer == nil {
		close(q.done)
		return q
	}
	go q.run()
	return q
}

func (q *eventQueue) push(e Event) {
	if q.observer == nil {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, e)
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *eventQueue) run() {
	defer close(q.done)
	for {
		q.mu.Lock()
		for len(q.items) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.items) == 0 && q.closed {
			q.mu.Unlock()
			return
		}
		e := q.items[0]
		q.items[0] = Event{}
		q.items = q.items[1:]
		q.mu.Unlock()
		q.observer(e)
	}
}

// close lets the observer drain the queue, then waits for it to finish.
func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
	<-q.done
}
