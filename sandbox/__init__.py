"""The stage set, apart from the domain: simulated departments, a simulated treasury and
partner receiver, the fault points of the fault-injection run, the demo seeds and the city
generator. Installed by `settings.SANDBOX` (on in development, `make run` and the tests;
off by default when DEBUG is off). Each part registers itself through the same registries
a real adapter would use; nothing in the domain imports this package (import-linter)."""
