// Placeholder: CLI commands land here (issue 5).
namespace supd::cli {}
