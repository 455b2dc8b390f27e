// Placeholder: the config loader lands here (issue 2).
namespace supd::config {}
