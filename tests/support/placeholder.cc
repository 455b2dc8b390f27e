// Placeholder so the support library has a source until shared test helpers land.
namespace supd::testing {}
