#include <cstdio>
int main() { std::puts("supctl: not built yet"); return 1; }
