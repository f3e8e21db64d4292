package wire

// flagLetters are tcpdump's letters for the control bits, in tcpdump's order
// (print-tcp.c tcp_flag_values: F S R P . U E W). ACK prints as ".".
var flagLetters = [...]struct {
	flag   Flags
	letter byte
}{
	{FlagFIN, 'F'}, {FlagSYN, 'S'}, {FlagRST, 'R'}, {FlagPSH, 'P'},
	{FlagACK, '.'}, {FlagURG, 'U'}, {FlagECE, 'E'}, {FlagCWR, 'W'},
}

// String prints the flags as tcpdump does inside "Flags [...]": "S", "S.",
// "F.", "R.", "P.", "." for a bare ACK, and "none" when no bit is set.
func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	var b [8]byte
	n := 0
	for _, fl := range flagLetters {
		if f&fl.flag != 0 {
			b[n] = fl.letter
			n++
		}
	}
	return string(b[:n])
}
