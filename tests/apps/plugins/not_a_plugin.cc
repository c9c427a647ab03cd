// A shared library without Ratchet's entry point: loading it as a plugin must be refused.
extern "C" int some_other_function() { return 42; }
