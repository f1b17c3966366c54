from appconnect.cli import main

main()
