package packet

// letters are tcpdump's letters for the control bits, in its order
// (print-tcp.c tcp_flag_values); ACK prints as ".".
var letters = [...]struct {
	flag   Flags
	letter byte
}{
	{FIN, 'F'}, {SYN, 'S'}, {RST, 'R'}, {PSH, 'P'}, {ACK, '.'}, {URG, 'U'}, {ECE, 'E'}, {CWR, 'W'},
}

// String prints the flags as tcpdump does inside "Flags [...]": "S", "S.",
// "F.", "." for a bare ACK, "none" when no bit is set.
func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	var b [8]byte
	n := 0
	for _, l := range letters {
		if f&l.flag != 0 {
			b[n] = l.letter
			n++
		}
	}
	return string(b[:n])
}
