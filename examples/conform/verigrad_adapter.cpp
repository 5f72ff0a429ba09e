// A conform adapter for verigrad's own engine: `verigrad conform --engine
// build/bin/verigrad_conform_example`. The whole adapter is the traits (verigrad_traits.hpp) and this line.
#include "examples/conform/verigrad_traits.hpp"

int main() { return verigrad::verify::conform::adapter_main<VerigradEngine>(); }
