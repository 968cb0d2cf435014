"""The roadmap's pages: the board, its cards, the side panel, line of sight."""
