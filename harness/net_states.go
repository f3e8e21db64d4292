package harness

import (
	"net/netip"
)

// stateChanged is PeerEnv.StateChanged.
func (n *Net) stateChanged(c StateChange) {
	n.mu.Lock()
	defer n.mu.Unlock()
	c.order = n.order
	n.order++
	n.trace.addChange(c, n.cfg.TraceLimit)
	n.states[c.Side][c.ID] = c.To
}

// State is the state of connection id (local side first) at side, as the
// stack last reported it: CLOSED for one it never reported, NoState for a
// peer that keeps none.
func (n *Net) State(side Side, id FourTuple) State {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.noteStatesRead(side)
	return n.stateLocked(side, id)
}

// noteStatesRead notes that a test read side's states, if its stack
// reports none. Called with n.mu held.
func (n *Net) noteStatesRead(side Side) {
	if n.unstated[side] {
		n.statesRead[side] = true
	}
}

// StatesRead reports whether a test read the states (State, History,
// States) of side's stack although it reports none (StateReporter): what
// it read were no states of the stack's.
func (n *Net) StatesRead(side Side) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.statesRead[side]
}

func (n *Net) stateLocked(side Side, id FourTuple) State {
	if n.stateless[side] {
		return NoState
	}
	if st, ok := n.states[side][id]; ok {
		return st
	}
	// No such connection: a listener on the port stands for it.
	for _, l := range []FourTuple{
		{LocalAddr: id.LocalAddr, LocalPort: id.LocalPort},
		{LocalAddr: netip.Addr{}, LocalPort: id.LocalPort},
	} {
		if st, ok := n.states[side][l]; ok && st == Listen {
			return st
		}
	}
	return Closed
}

// fillStates notes in r the states of r's connection at both ends. Called
// with n.mu held.
func (n *Net) fillStates(r *Record) {
	if r.Packet.TCP.SrcPort == 0 && r.Packet.TCP.DstPort == 0 {
		r.States = [2]State{n.anyState(Client), n.anyState(Server)}
		return
	}
	for _, s := range []Side{Client, Server} {
		r.States[s] = n.stateLocked(s, r.ConnID(s))
	}
}

// anyState is what a trace line shows for a packet it cannot tie to a
// connection.
func (n *Net) anyState(s Side) State {
	if n.stateless[s] {
		return NoState
	}
	return Closed
}

// History is every state change of connection id (local side first) at
// side, in order (those still kept, under a Config.TraceLimit).
func (n *Net) History(side Side, id FourTuple) []StateChange {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.noteStatesRead(side)
	var h []StateChange
	for _, c := range n.trace.Changes {
		if c.Side == side && c.ID == id {
			h = append(h, c)
		}
	}
	return h
}

// States is the sequence of states connection id went through at side: the
// state it started from, then each it entered ([CLOSED SYN-SENT
// ESTABLISHED ...]). Empty if it never changed.
func (n *Net) States(side Side, id FourTuple) []State {
	h := n.History(side, id)
	if len(h) == 0 {
		return nil
	}
	seq := []State{h[0].From}
	for _, c := range h {
		seq = append(seq, c.To)
	}
	return seq
}
