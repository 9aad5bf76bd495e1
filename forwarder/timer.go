//go:build linux

package forwarder

// timerHeap orders connections by their deadline (conn.timer), earliest first.
type timerHeap []*conn

// set gives c the deadline when (worker clock), replacing any earlier one.
func (h *timerHeap) set(c *conn, when int64) {
	c.timer = when
	if c.tidx < 0 {
		c.tidx = len(*h)
		*h = append(*h, c)
		h.up(c.tidx)
		return
	}
	if !h.down(c.tidx) {
		h.up(c.tidx)
	}
}

// clear removes c's deadline.
func (h *timerHeap) clear(c *conn) {
	i := c.tidx
	if i < 0 {
		return
	}
	c.timer, c.tidx = 0, -1
	last := len(*h) - 1
	if i != last {
		(*h)[i] = (*h)[last]
		(*h)[i].tidx = i
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
}

// next returns the earliest deadline, or 0 when there is none.
func (h timerHeap) next() int64 {
	if len(h) == 0 {
		return 0
	}
	return h[0].timer
}

// expired removes and returns the connection whose deadline is at or before now, or nil.
func (h *timerHeap) expired(now int64) *conn {
	if len(*h) == 0 || (*h)[0].timer > now {
		return nil
	}
	c := (*h)[0]
	h.clear(c)
	return c
}

func (h timerHeap) less(i, j int) bool { return h[i].timer < h[j].timer }

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].tidx = i
	h[j].tidx = j
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}
