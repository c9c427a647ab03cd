// The ratchet executable (the command line itself: main.cc).
#include "experiments.h"

int main(int argc, char** argv) { return ratchet::cli::Main(argc, argv); }
