from bgpmesh.cli import main

main()
