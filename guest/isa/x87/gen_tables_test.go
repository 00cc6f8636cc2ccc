package x87

func generated(name string) []dd {
	switch name {
	case "atanTab":
		return atanTab[:]
	case "exp2Tab":
		return exp2Tab[:]
	case "lnTab":
		return lnTab[:]
	case "invFact":
		return invFact[:]
	case "invOdd":
		return invOdd[:]
	}
	return ddConsts[:]
}
