// The story (story.ts) on the x86_64 board.
import { story } from './story';

story('x86_64');
