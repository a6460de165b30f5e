from usdbench.cli import main

raise SystemExit(main())
