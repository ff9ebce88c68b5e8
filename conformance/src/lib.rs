//! synfin-conformance: replays the model's traces against TCP implementations.
