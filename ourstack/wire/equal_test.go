package wire

import "github.com/google/go-cmp/cmp"

func equalPackets(a, b Packet) bool { return cmp.Equal(a, b, cmpPacket) }
