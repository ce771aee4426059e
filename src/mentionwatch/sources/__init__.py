"""Where items come from: feeds today, social APIs later, behind one small interface."""
