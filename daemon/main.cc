#include <cstdio>
int main() { std::puts("supd: not built yet"); return 1; }
